"""The staff console: the chamber's people work in a browser over the services' own APIs."""
