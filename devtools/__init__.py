"""Tools that imitate the world around the product: simulators, local slapd, bench, reliability."""
