"""HTTP entry points: the router mechanism (api), the error
mapping (errors), one router per function."""
