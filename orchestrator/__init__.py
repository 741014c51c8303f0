"""The update-run orchestrator: a pure state machine (`decide`) over per-placement state, and its I/O loop.

Pure core: `orchestrator.decide` dispatches to `commands` (validation of commands), `snapshots` and
`scheduling` (placement-level decisions), `initialization`, `validation` (drift), `execution` and `stop`
(run phases); `state` holds the records and `evolve` folds events into them. `service.Orchestrator` is
the I/O loop; `clock` has the injectable clocks; `cli.run_orchestrator` is `fleetstage orchestrator`.
"""
