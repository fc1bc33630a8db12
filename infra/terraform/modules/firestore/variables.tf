variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "location_id" {
  description = "Firestore location (a multi-region like eur3/nam5, or a region)."
  type        = string
}

variable "protect" {
  description = "Delete protection and PITR (prod). Off in dev so `terraform destroy` removes it."
  type        = bool
  default     = false
}
