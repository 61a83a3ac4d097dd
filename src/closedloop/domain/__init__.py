"""Pure domain rules: stages and gates, trajectories, lights, working days, scoring, plan parsing.

No database and no HTTP here; everything takes and returns plain values.
"""
