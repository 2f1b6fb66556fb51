"""A module for the generator's snapshot test: two routes, one multi-line, one reliable, and a REST API."""
