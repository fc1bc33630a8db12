# Terraform runs on the operator's Application Default Credentials (a user account). Most APIs
# accept those as they are; Firebase and Identity Toolkit refuse user credentials without a
# quota project. As Firebase's Terraform guide does, google-beta (which manages the Firebase
# project, its web app and Identity Platform) bills every call to the project itself. APIs are
# enabled with the plain provider (no override), so enabling never waits on itself.
provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project               = var.project_id
  region                = var.region
  user_project_override = true
  billing_project       = var.project_id
}

module "kwetter" {
  source             = "../../modules/platform"
  project_id         = var.project_id
  region             = var.region
  firestore_location = var.firestore_location
  domain             = var.domain
  redis              = var.redis
  vpc_egress         = var.vpc_egress
  firestore_protect  = var.firestore_protect
  function_defaults  = var.function_defaults
  function_overrides = var.function_overrides
  app_settings       = var.app_settings
  require_https      = var.require_https
  auth_localhost     = var.auth_localhost
  signup_quota       = var.signup_quota
  api_quota          = var.api_quota
  labels             = { env = var.env }
}
