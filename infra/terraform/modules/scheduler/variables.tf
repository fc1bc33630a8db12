variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "region" {
  description = "Cloud Scheduler region."
  type        = string
}

variable "topic_id" {
  description = "Topic the ticks are published to (outbox-ticks)."
  type        = string
}

variable "schedule" {
  description = "Cron schedule of the ticks."
  type        = string
  default     = "* * * * *"
}
