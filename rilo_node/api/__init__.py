"""gRPC: the servicers, the server that wires them to a node, the client, and one error map."""
