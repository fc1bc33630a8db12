variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "name" {
  description = "Prefix of the bucket and load balancer resources."
  type        = string
}

variable "bucket_location" {
  description = "Location of the site bucket."
  type        = string
}

variable "domain" {
  description = "Domain of the site (its DNS A record must point at the output IP). Empty: plain HTTP on the IP, no certificate."
  type        = string
  default     = ""
}

variable "labels" {
  description = "Labels on the bucket."
  type        = map(string)
  default     = {}
}

variable "serve_media" {
  description = "Serve media_bucket under /m/ (a plan-time switch; the bucket name may not be known yet)."
  type        = bool
  default     = false
}

variable "media_bucket" {
  description = "Bucket of the image variants, served under /m/ by the same load balancer and CDN when serve_media."
  type        = string
  default     = ""
}
