//! `DeleteNetworkInterface`: an `Available` ENI becomes `Deleting`, then disappears after the
//! configured delay; its addresses and its idempotency records go with it.
//!
//! Check order (**decided**): `NetworkInterfaceId` missing; ENI unknown; status not
//! `Available`; an assign or unassign still in flight (`Operation.Conflict`).

use std::time::SystemTime;

use super::{is_busy, required};
use crate::error::ApiError;
use crate::model::{EniStatus, State, Transition};
use crate::params::Params;
use crate::render::Fields;

pub(super) fn delete(
    state: &mut State,
    params: &Params,
    now: SystemTime,
) -> Result<Fields, ApiError> {
    let id = required(params, "NetworkInterfaceId")?;
    let eni = state
        .enis
        .get(id)
        .ok_or_else(|| ApiError::eni_not_found(id))?;
    if eni.status != EniStatus::Available {
        return Err(ApiError::eni_state("Available", eni.status.as_str()));
    }
    if is_busy(eni, now) {
        return Err(ApiError::conflict());
    }
    let due = crate::model::later(now, state.timings.delete);
    state.begin(id, Transition::Delete, EniStatus::Deleting, due);
    Ok(Fields::new())
}
