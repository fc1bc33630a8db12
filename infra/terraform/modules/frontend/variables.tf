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

variable "require_https" {
  description = "Refuse to plan without a domain (prod: the site is never served over plain HTTP)."
  type        = bool
  default     = false
}

variable "public_read_role" {
  description = "Role granting allUsers object reads without listing (a custom role with storage.objects.get only)."
  type        = string
}

variable "static_paths" {
  description = "Paths of the files at the site's root (frontend/public), served as they are; every other path outside /assets/ and /m/ is the app (index.html)."
  type        = list(string)
  default     = []
}

variable "media_cdn_ttl" {
  description = "Seconds Cloud CDN keeps an image variant (how long a deleted image may still be served from the edge)."
  type        = number
  default     = 3600
}

variable "media_client_ttl" {
  description = "Seconds a browser may keep an image variant."
  type        = number
  default     = 600
}
