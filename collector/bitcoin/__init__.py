"""Shared vocabulary: addresses, output descriptors, the reserve's wallets and the payment
address and URI an operation is shown."""
