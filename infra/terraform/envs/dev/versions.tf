terraform {
  required_version = ">= 1.6"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 8.7"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 8.7"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.8"
    }
  }
  # State in a GCS bucket: terraform init -backend-config=bucket=<bucket> (make deploy does it).
  # terraform init -backend=false skips it (offline checks).
  backend "gcs" {
    prefix = "kwetter/dev"
  }
}
