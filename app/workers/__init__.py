"""Background work of a Washline process: the outbox relay, dispatch, KPIs and the location
pipeline's database side (active jobs, the batched track sink, geofence arrivals)."""
