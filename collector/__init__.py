"""reservewatch collector: the async edge that talks to brokers, pools, the chain and Prometheus."""

__version__ = "0.1.0"
