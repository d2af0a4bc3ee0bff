"""One-shot commands beside the service: CSV imports (earnings, rates) and proofs of control."""
