provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
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
  labels             = { env = var.env }
}
