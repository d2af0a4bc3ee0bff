"""Polled external sources: HTTP plumbing, the generic poller, pools, network and chain."""
