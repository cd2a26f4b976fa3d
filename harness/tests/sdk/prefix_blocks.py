"""IPv4 prefix arithmetic shared by the Python client drivers (libcloud, footmark).

A prefix the scenario may ask for is an aligned /28 of the VSwitch CIDR that holds no reserved
address (not the CIDR's first address nor its last three) and no address or prefix any ENI of
the VSwitch holds. Which block an endpoint picks for `Ipv4PrefixCount` is its own choice: the
drivers only check that it is such a block.
"""

import ipaddress


def usable_blocks(cidr):
    """The aligned /28 blocks of `cidr` that hold no reserved address, in address order."""
    network = ipaddress.ip_network(cidr)
    reserved = {network.network_address, *list(network)[-3:]}
    return [block for block in network.subnets(new_prefix=28)
            if not any(ip in block for ip in reserved)]


def taken_blocks(cidr, addresses, prefixes):
    """Blocks of `cidr` holding one of `addresses` or overlapping one of `prefixes`."""
    taken = set()
    for block in usable_blocks(cidr):
        if any(ipaddress.ip_address(ip) in block for ip in addresses) or any(
                block.overlaps(ipaddress.ip_network(p)) for p in prefixes):
            taken.add(block)
    return taken


def free_block(cidr, addresses, prefixes):
    """The last usable block no address or prefix in use touches, as text (`a.b.c.d/28`)."""
    taken = taken_blocks(cidr, addresses, prefixes)
    free = [block for block in usable_blocks(cidr) if block not in taken]
    if not free:
        raise AssertionError("no free aligned /28 block in %s" % cidr)
    return str(free[-1])


def is_new_usable_block(cidr, prefix, addresses, prefixes):
    """Whether `prefix` is a canonical usable block of `cidr` that none of those in use touch."""
    try:
        block = ipaddress.ip_network(prefix)
    except ValueError:
        return False
    return (str(block) == prefix and block in usable_blocks(cidr)
            and block not in taken_blocks(cidr, addresses, prefixes))
