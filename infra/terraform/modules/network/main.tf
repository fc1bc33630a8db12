resource "google_compute_network" "this" {
  project                 = var.project_id
  name                    = var.name
  auto_create_subnetworks = false
}

# Nothing listens in this network (functions only egress; Memorystore is peered), so no
# ingress at all: an explicit rule rather than relying on the implied one.
resource "google_compute_firewall" "deny_ingress" {
  project       = var.project_id
  name          = "${var.name}-deny-all-ingress"
  network       = google_compute_network.this.id
  direction     = "INGRESS"
  priority      = 65534
  source_ranges = ["0.0.0.0/0"]
  deny {
    protocol = "all"
  }
  log_config {
    metadata = "INCLUDE_ALL_METADATA"
  }
}

# Direct VPC egress takes addresses from this subnet: about 2 per instance in steady state,
# reserved 16 (a /28) at a time, and a deployment briefly runs the old and the new revision
# side by side (docs/deploy.md). The plan refuses a subnet smaller than that for the
# functions' combined max instances.
locals {
  subnet_addresses   = pow(2, 32 - tonumber(split("/", var.functions_cidr)[1]))
  required_addresses = 2 * 2 * var.vpc_max_instances + 16 * var.vpc_services
}

resource "google_compute_subnetwork" "functions" {
  project                  = var.project_id
  name                     = "${var.name}-functions"
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = var.functions_cidr
  private_ip_google_access = true
  log_config {
    aggregation_interval = "INTERVAL_10_MIN"
    flow_sampling        = 0.1
    metadata             = "INCLUDE_ALL_METADATA"
  }
  lifecycle {
    precondition {
      condition     = var.egress != "direct" || local.subnet_addresses >= local.required_addresses
      error_message = "functions_cidr ${var.functions_cidr} has ${local.subnet_addresses} addresses; ${var.vpc_services} services with ${var.vpc_max_instances} max instances in all need ${local.required_addresses} (2 per instance, twice during a rollout, a /28 per service)."
    }
  }
}

# Memorystore for Redis Cluster's Private Service Connect endpoints (only with a cluster).
resource "google_compute_subnetwork" "psc" {
  count                    = var.psc ? 1 : 0
  project                  = var.project_id
  name                     = "${var.name}-psc"
  region                   = var.region
  network                  = google_compute_network.this.id
  ip_cidr_range            = var.psc_cidr
  private_ip_google_access = true
  log_config {
    aggregation_interval = "INTERVAL_10_MIN"
    flow_sampling        = 0.1
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_vpc_access_connector" "this" {
  count         = var.egress == "connector" ? 1 : 0
  project       = var.project_id
  name          = "${var.name}-conn"
  region        = var.region
  network       = google_compute_network.this.name
  ip_cidr_range = var.connector_cidr
  min_instances = 2
  max_instances = 3
  machine_type  = "e2-micro"
}
