"""Not a workload: lib_serve.py has Ray import this module in every worker it starts
(RAY_preload_python_modules), so that Serve's replicas bind their inter-deployment gRPC server to
127.0.0.1. Ray Serve 2.60 binds it to every interface ("[::]:0", fixed in
ray/serve/_private/replica.py); everything else in these runs binds to loopback already."""

import ray._common.tls_utils as tls_utils

_add_port = tls_utils.add_port_to_grpc_server
ALL_INTERFACES = "[::]:"


def add_port_on_loopback(server, address):
    if address.startswith(ALL_INTERFACES):
        address = "127.0.0.1:" + address[len(ALL_INTERFACES):]
    return _add_port(server, address)


tls_utils.add_port_to_grpc_server = add_port_on_loopback
