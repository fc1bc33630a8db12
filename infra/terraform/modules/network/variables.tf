variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "region" {
  description = "Region of the subnet (the functions' region)."
  type        = string
}

variable "name" {
  description = "Name of the VPC network."
  type        = string
}

variable "functions_cidr" {
  description = "Subnet the functions' Direct VPC egress takes addresses from (sized from the instance limits: see vpc_max_instances)."
  type        = string
  default     = "10.10.0.0/20"
}

variable "vpc_max_instances" {
  description = "Sum of max instances of the functions that use Direct VPC egress (sizes the subnet)."
  type        = number
}

variable "vpc_services" {
  description = "Number of functions that use Direct VPC egress."
  type        = number
}

variable "psc" {
  description = "Create the Private Service Connect subnet (Memorystore for Redis Cluster)."
  type        = bool
  default     = false
}

variable "psc_cidr" {
  description = "Subnet of the Private Service Connect endpoints (psc = true)."
  type        = string
  default     = "10.10.16.0/26"
}

variable "egress" {
  description = "How functions reach the VPC: \"direct\" (Direct VPC egress, nothing runs at idle) or \"connector\" (Serverless VPC Access, 2+ instances always on)."
  type        = string
  default     = "direct"
  validation {
    condition     = contains(["direct", "connector"], var.egress)
    error_message = "egress must be \"direct\" or \"connector\"."
  }
}

variable "connector_cidr" {
  description = "A free /28 for the Serverless VPC Access connector (egress = \"connector\" only)."
  type        = string
  default     = "10.8.0.0/28"
}
