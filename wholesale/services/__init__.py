"""Use cases: plain functions that each do one thing in one transaction. Routes and jobs call these."""
