resource "google_project_service" "this" {
  for_each = toset(var.services)
  project  = var.project_id
  service  = each.value
  # Turning an API off on destroy would break anything else in the project that uses it.
  disable_on_destroy         = false
  disable_dependent_services = false
}

data "google_project" "this" {
  project_id = var.project_id
}
