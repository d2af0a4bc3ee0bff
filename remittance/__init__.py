"""reservewatch money rules."""
