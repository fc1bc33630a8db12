variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "services" {
  description = "APIs the platform uses."
  type        = list(string)
  default = [
    "apigateway.googleapis.com",
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    # Cloud KMS: the key-encryption key of the users' data keys (crypto-shredding, modules/kms).
    "cloudkms.googleapis.com",
    # Needed by user_project_override (the google-beta provider bills calls to the project).
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    # GKE Autopilot, where production OpenSearch runs (modules/search).
    "container.googleapis.com",
    "firebase.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "identitytoolkit.googleapis.com",
    "logging.googleapis.com",
    # Private Service Connect for Memorystore for Redis Cluster (prod).
    "networkconnectivity.googleapis.com",
    "pubsub.googleapis.com",
    "redis.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "serviceconsumermanagement.googleapis.com",
    "servicecontrol.googleapis.com",
    "servicemanagement.googleapis.com",
    "serviceusage.googleapis.com",
    "storage.googleapis.com",
    "vpcaccess.googleapis.com",
  ]
}
