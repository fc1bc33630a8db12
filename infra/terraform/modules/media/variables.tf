variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "location" {
  description = "Location of both buckets (the functions' region)."
  type        = string
}

variable "notification_topic" {
  description = "Topic id the uploads bucket's OBJECT_FINALIZE notifications go to (media-uploads)."
  type        = string
}

variable "allowed_origins" {
  description = "Origins of the web app, allowed to PUT bytes to upload sessions from the browser."
  type        = list(string)
}

variable "uploaders" {
  description = "Service accounts that open upload sessions (the media function). Function name => email."
  type        = map(string)
}

variable "processors" {
  description = "Service accounts that read and delete uploads and write variants (the media processor). Function name => email."
  type        = map(string)
}

variable "media_writers" {
  description = "Service accounts that delete a post's or avatar's variants (the media function). Function name => email."
  type        = map(string)
}

variable "upload_max_age_days" {
  description = "Uploads still in the bucket after this many days (never processed: crashed or dead-lettered) are deleted."
  type        = number
  default     = 1
}

variable "upload_prefix" {
  description = "Object name prefix of uploads (shared/domain/media.py upload_object_name); only these notify the processor."
  type        = string
  default     = "uploads/"
}

variable "labels" {
  description = "Labels on the buckets."
  type        = map(string)
  default     = {}
}

variable "public_read_role" {
  description = "Role granting allUsers object reads without listing (a custom role with storage.objects.get only)."
  type        = string
}
