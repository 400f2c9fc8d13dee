"""The web interface each node serves to its own office's people (docs/web.md): Starlette pages over the
same node services as rilo_node/api. Imported only by a node whose `[web] listen` is set."""
