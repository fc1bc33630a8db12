variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "project_number" {
  description = "Project number (the Pub/Sub service agent's email is built from it)."
  type        = string
}

variable "region" {
  description = "Region of the functions (of their Cloud Run services)."
  type        = string
}

variable "topics" {
  description = "Topic name => description and message_retention_duration (topology module)."
  type = map(object({
    description                = string
    message_retention_duration = string
  }))
}

variable "dead_letter_topics" {
  description = "Dead-letter topic names (topology module)."
  type        = list(string)
}

variable "dead_letter_retention" {
  description = "Retention of the pull subscription that keeps each dead-letter topic's messages."
  type        = string
}

variable "subscriptions" {
  description = "Push subscription name => topology settings (topology module)."
  type = map(object({
    topic                      = string
    function                   = string
    dead_letter_topic          = string
    ack_deadline_seconds       = number
    retain_acked_messages      = bool
    message_retention_duration = string
    minimum_backoff            = string
    maximum_backoff            = string
    max_delivery_attempts      = number
  }))
}

variable "function_urls" {
  description = "Function => HTTPS URL of its Cloud Run service (push endpoint base and OIDC audience)."
  type        = map(string)
}

variable "function_services" {
  description = "Function => Cloud Run service name, on which each push identity may invoke."
  type        = map(string)
}

variable "publish_grants" {
  description = "\"<topic>/<function>\" => topic and the service account email allowed to publish to it (keys known at plan time)."
  type = map(object({
    topic = string
    email = string
  }))
  default = {}
}

variable "labels" {
  description = "Labels on topics and subscriptions."
  type        = map(string)
  default     = {}
}
