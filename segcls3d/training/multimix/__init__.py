"""MultiMix training (Haque et al. 2021): disjoint sources, weak/strong views, class pseudo labels, KL."""
