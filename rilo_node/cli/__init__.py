"""The `rilo-node` command line: one module per command group; output formatting in one place."""
