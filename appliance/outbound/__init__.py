"""The outbound queue: delivery to other domains with retries, delay notices and bounces."""
