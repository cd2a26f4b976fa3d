"""Points an Ansible Alicloud module at the emulator, the way footmark users redirect an endpoint.

Python imports `sitecustomize` at start-up from the path; the ali_eni driver puts this folder on
`PYTHONPATH` for the module's process only. With `ENI_HARNESS_ECS_PORT` set, aliyun-python-sdk-core's
`region_provider.add_endpoint` sends every ECS request for cn-hangzhou to 127.0.0.1 on that
port, and footmark's status polling waits 0.2 s between reads instead of 5 s (the emulator's
transitions are short here; the wait is still footmark's own loop).
"""

import os

PORT = os.environ.get("ENI_HARNESS_ECS_PORT")
if PORT:
    from aliyunsdkcore.profile import region_provider

    region_provider.add_endpoint("Ecs", "cn-hangzhou", "127.0.0.1:" + PORT)
    import footmark.ecs.connection

    footmark.ecs.connection.DefaultWaitForInterval = 0.2
