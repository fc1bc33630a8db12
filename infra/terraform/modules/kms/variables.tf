variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "location" {
  description = "Where the key ring lives (the functions' region)."
  type        = string
}

variable "key_ring" {
  description = "Key ring name (key rings cannot be deleted: choose once)."
  type        = string
}

variable "key_name" {
  description = "The crypto key wrapping the users' data keys."
  type        = string
  default     = "user-data-keys"
}

variable "users" {
  description = "Function name => service account email allowed to encrypt/decrypt."
  type        = map(string)
}

variable "labels" {
  description = "Labels of the crypto key."
  type        = map(string)
  default     = {}
}
