"""Offline schema check of the Terraform code against the real hashicorp/google provider schema.

`terraform validate` needs the provider binary, which cannot be downloaded here. The provider's
schema is published on PyPI inside the CDK Terrain bindings (cdktn-provider-google, generated
from hashicorp/google 8.7.0); schema.py extracts a compact copy of it and check.py walks every
resource and data block with it.
"""
