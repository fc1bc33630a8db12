variable "project_id" {
  description = "GCP project id."
  type        = string
}

variable "region" {
  description = "Region of the cluster and its subnet."
  type        = string
}

variable "name" {
  description = "Name prefix of the resources."
  type        = string
}

variable "network_id" {
  description = "The platform's VPC network id."
  type        = string
}

variable "nodes_cidr" {
  description = "Primary range of the search subnet (the nodes and the internal load balancer)."
  type        = string
  default     = "10.20.0.0/22"
}

variable "pods_cidr" {
  description = "Secondary range for the pods."
  type        = string
  default     = "10.24.0.0/16"
}

variable "services_cidr" {
  description = "Secondary range for the Kubernetes services."
  type        = string
  default     = "10.25.0.0/20"
}

variable "master_cidr" {
  description = "The control plane's /28 (private endpoint)."
  type        = string
  default     = "172.16.0.32/28"
}

variable "admin_cidr" {
  description = "Where kubectl may reach the private control plane from (a bastion or VPN range in the VPC)."
  type        = string
  default     = "10.20.0.0/22"
}

variable "deletion_protection" {
  description = "Refuse to destroy the cluster (off only in throwaway environments)."
  type        = bool
  default     = true
}

variable "shards" {
  description = "Primary shards of each index the application creates (3 data nodes: 3)."
  type        = number
  default     = 3
}

variable "replicas" {
  description = "Replicas of each shard (1: any one node may be lost)."
  type        = number
  default     = 1
}
