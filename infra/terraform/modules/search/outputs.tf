output "environment" {
  description = "What the functions get to reach OpenSearch (shared/config.py OPENSEARCH_URL)."
  value = {
    OPENSEARCH_URL  = "http://${google_compute_address.opensearch.address}:9200"
    SEARCH_SHARDS   = tostring(var.shards)
    SEARCH_REPLICAS = tostring(var.replicas)
  }
}

output "cluster_name" {
  description = "The GKE Autopilot cluster the OpenSearch manifests (infra/k8s/opensearch) go to."
  value       = google_container_cluster.search.name
}

output "opensearch_address" {
  description = "The internal address of the OpenSearch service's load balancer."
  value       = google_compute_address.opensearch.address
}
