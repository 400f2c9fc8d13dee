"""The running node: records, replication, queries, requests, endorsements, jobs, config and keys."""
