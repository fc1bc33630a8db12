# Production search (issue 22; docs/search.md "Production"): OpenSearch on GKE Autopilot, in
# the platform's VPC, reached by the functions through an internal load balancer on a
# reserved internal address. Google Cloud has no managed OpenSearch, and an Elastic Cloud
# deployment needs the ec provider, whose schema this repository cannot check offline.
#
# What Terraform provisions here (checked against the google provider schema by infra/tfcheck):
# the Autopilot cluster (private nodes, private endpoint reachable from the VPC only), its
# subnet with pod and service ranges, and the internal address of the OpenSearch service.
# What it does not (no kubernetes/helm provider schema here, so nothing would check it):
# the OpenSearch StatefulSet, its Service of type LoadBalancer (internal, on that address),
# its PodDisruptionBudget and snapshot repository; those are the manifests in
# infra/k8s/opensearch/, applied with kubectl after this module.

resource "google_compute_subnetwork" "search" {
  project                  = var.project_id
  name                     = "${var.name}-search"
  region                   = var.region
  network                  = var.network_id
  ip_cidr_range            = var.nodes_cidr
  private_ip_google_access = true

  secondary_ip_range {
    range_name    = "pods"
    ip_cidr_range = var.pods_cidr
  }
  secondary_ip_range {
    range_name    = "services"
    ip_cidr_range = var.services_cidr
  }

  log_config {
    aggregation_interval = "INTERVAL_10_MIN"
    flow_sampling        = 0.1
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

resource "google_container_cluster" "search" {
  # checkov:skip=CKV_GCP_13: Autopilot disables client certificate authentication itself; the field is not settable there.
  # checkov:skip=CKV_GCP_24: PodSecurityPolicy was removed from Kubernetes 1.25; Autopilot enforces its own pod security.
  # checkov:skip=CKV_GCP_65: RBAC through Google Groups needs a Workspace domain this project may not have; IAM roles are used.
  # checkov:skip=CKV_GCP_66: Binary Authorization needs an attestor pipeline; the OpenSearch image is pinned by digest in infra/k8s instead.
  # checkov:skip=CKV_GCP_61: VPC flow logs are on the subnet (log_config above).
  # checkov:skip=CKV_GCP_12: Autopilot enforces network policy (Dataplane V2) itself; the block is not settable there.
  # checkov:skip=CKV_GCP_69: Autopilot always runs the GKE metadata server (Workload Identity); the node config is not settable there.
  # checkov:skip=CKV_GCP_71: Autopilot nodes are always Shielded GKE nodes; the block is not settable there.
  # checkov:skip=CKV_GCP_68: Autopilot nodes always use Secure Boot; the node config is not settable there.
  # checkov:skip=CKV_GCP_22: Autopilot nodes always run Container-Optimized OS; the node config is not settable there.
  project          = var.project_id
  name             = "${var.name}-search"
  location         = var.region
  enable_autopilot = true
  network          = var.network_id
  subnetwork       = google_compute_subnetwork.search.id

  ip_allocation_policy {
    cluster_secondary_range_name  = "pods"
    services_secondary_range_name = "services"
  }

  private_cluster_config {
    enable_private_nodes    = true
    enable_private_endpoint = true
    master_ipv4_cidr_block  = var.master_cidr
  }

  master_authorized_networks_config {
    cidr_blocks {
      cidr_block   = var.admin_cidr
      display_name = "operators inside the VPC"
    }
  }

  release_channel {
    channel = "REGULAR"
  }

  resource_labels = { app = "kwetter", component = "search" }

  deletion_protection = var.deletion_protection
}

# The OpenSearch service's internal load balancer address (infra/k8s/opensearch/service.yaml
# names it in loadBalancerIP): fixed, so the functions' OPENSEARCH_URL never changes.
resource "google_compute_address" "opensearch" {
  project      = var.project_id
  name         = "${var.name}-opensearch"
  region       = var.region
  subnetwork   = google_compute_subnetwork.search.id
  address_type = "INTERNAL"
  purpose      = "GCE_ENDPOINT"
}
