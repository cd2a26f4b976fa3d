//! `AttachNetworkInterface` and `DetachNetworkInterface`: asynchronous, `Available → Attaching
//! → InUse` and `InUse → Detaching → Available`.
//!
//! Attach checks (**decided** order and codes): `NetworkInterfaceId` missing; `InstanceId`
//! missing; ENI unknown (`InvalidEniId.NotFound` 404); instance unknown
//! (`InvalidInstanceId.NotFound` 404); ENI not `Available` (`InvalidOperation.InvalidEniState`);
//! an assign or unassign in flight (`Operation.Conflict` 403); instance not `Running`/`Stopped`
//! (`InvalidOperation.InvalidEcsState` 400); the instance already has as many ENIs as its
//! type allows, attaching and detaching ones included (`EniPerInstanceLimitExceeded` 403); the
//! ENI holds more secondary addresses than the instance type allows per ENI
//! (`MaxEniPrivateIpsCountExceeded` 403, so invariant 4 holds once it is `InUse`).
//!
//! Detach checks: the two ids missing; ENI unknown; instance unknown; a primary ENI
//! (`InvalidOperation.DetachPrimaryEniNotAllowed` 403; 400 in a variant world); ENI not
//! `InUse` (`InvalidOperation.InvalidEniState`); ENI attached to another instance
//! (`InvalidOperation.EniNotAttached` 400; a variant checks this one before the state); an
//! assign or unassign in flight; instance not
//! `Running`/`Stopped`; the ENI holds more secondary addresses than the `Available` cap
//! (`MaxEniPrivateIpsCountExceeded` 403, so invariant 4 holds once it is `Available`).

use std::time::SystemTime;

use super::{is_busy, required};
use crate::error::ApiError;
use crate::model::{Eni, EniStatus, EniType, InstanceState, State, Transition};
use crate::params::Params;
use crate::render::Fields;
use crate::world::InstanceStatus;

fn running_or_stopped(instance_id: &str, status: InstanceStatus) -> Result<(), ApiError> {
    match status {
        InstanceStatus::Running | InstanceStatus::Stopped => Ok(()),
        other => Err(ApiError::ecs_state(instance_id, other.as_str())),
    }
}

/// The first four checks both actions share, in their order: the two ids present, then the
/// ENI and the instance known.
fn eni_and_instance<'s, 'p>(
    state: &'s State,
    params: &'p Params,
) -> Result<(&'p str, &'p str, &'s Eni, &'s InstanceState), ApiError> {
    let eni_id = required(params, "NetworkInterfaceId")?;
    let instance_id = required(params, "InstanceId")?;
    let eni = state
        .enis
        .get(eni_id)
        .ok_or_else(|| ApiError::eni_not_found(eni_id))?;
    let instance = state
        .instances
        .get(instance_id)
        .ok_or_else(|| ApiError::instance_not_found(instance_id))?;
    Ok((eni_id, instance_id, eni, instance))
}

pub(super) fn attach(
    state: &mut State,
    params: &Params,
    now: SystemTime,
) -> Result<Fields, ApiError> {
    let (eni_id, instance_id, eni, instance) = eni_and_instance(state, params)?;
    if eni.status != EniStatus::Available {
        return Err(ApiError::eni_state("Available", eni.status.as_str()));
    }
    if is_busy(eni, now) {
        return Err(ApiError::conflict());
    }
    running_or_stopped(instance_id, instance.status)?;
    let limit = state
        .profile
        .instance_type_enis
        .get(&instance.instance_type)
        .copied()
        .unwrap_or(1);
    let attached = state
        .enis
        .values()
        .filter(|e| e.instance_id.as_deref() == Some(instance_id))
        .count();
    if attached >= limit as usize {
        return Err(ApiError::eni_limit(
            instance_id,
            &instance.instance_type,
            attached,
        ));
    }
    let cap = state.type_cap(&instance.instance_type);
    if eni.slots() > cap as usize {
        let reason = format!(
            "on an InUse ENI of instance type “{}”",
            instance.instance_type
        );
        return Err(ApiError::cap_exceeded(eni_id, eni.slots(), cap, &reason));
    }
    let due = crate::model::later(now, state.timings.attach);
    if let Some(eni) = state.enis.get_mut(eni_id) {
        eni.instance_id = Some(instance_id.to_owned());
    }
    state.begin(eni_id, Transition::Attach, EniStatus::Attaching, due);
    Ok(Fields::new())
}

pub(super) fn detach(
    state: &mut State,
    params: &Params,
    now: SystemTime,
) -> Result<Fields, ApiError> {
    let (eni_id, instance_id, eni, instance) = eni_and_instance(state, params)?;
    if eni.kind == EniType::Primary {
        return Err(ApiError::detach_primary(
            eni_id,
            state.choices.detach_primary_status(),
        ));
    }
    let not_in_use = eni.status != EniStatus::InUse;
    let elsewhere = eni.instance_id.as_deref() != Some(instance_id);
    // Which of the two answers a detached ENI gets is the endpoint's choice: the reference
    // says its state, a variant that it is not attached.
    if state.choices.is_variant() && elsewhere {
        return Err(ApiError::eni_not_attached(eni_id, instance_id));
    }
    if not_in_use {
        return Err(ApiError::eni_state("InUse", eni.status.as_str()));
    }
    if elsewhere {
        return Err(ApiError::eni_not_attached(eni_id, instance_id));
    }
    if is_busy(eni, now) {
        return Err(ApiError::conflict());
    }
    running_or_stopped(instance_id, instance.status)?;
    let cap = state.available_cap();
    if eni.slots() > cap as usize {
        return Err(ApiError::cap_exceeded(
            eni_id,
            eni.slots(),
            cap,
            "on an Available ENI",
        ));
    }
    let due = crate::model::later(now, state.timings.detach);
    state.begin(eni_id, Transition::Detach, EniStatus::Detaching, due);
    Ok(Fields::new())
}
