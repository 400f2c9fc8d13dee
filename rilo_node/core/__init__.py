"""Pure rules: policy, signing, the topology model, seizure validation, replication and query planning. No grpc, sqlite3, apscheduler, files or clock."""
