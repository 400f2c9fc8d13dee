"""RILO Net node: signed customs seizure records, sharing policies, federation over gRPC."""

__version__ = "0.1.0"

import os as _os

# gRPC core logs connection churn (GOAWAY, reconnects) at INFO; nodes expect that churn.
_os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
