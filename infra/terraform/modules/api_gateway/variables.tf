variable "project_id" {
  description = "The Google Cloud project (also the Firebase project whose ID tokens are accepted)."
  type        = string
}

variable "region" {
  description = "Gateway region."
  type        = string
}

variable "openapi_file" {
  description = "Path of shared/contracts/openapi.yaml (an OpenAPI 2.0 template)."
  type        = string
}

variable "backend_urls" {
  description = "HTTP function => URL; fills $${<function>_url} in the OpenAPI document."
  type        = map(string)
}

variable "backend_services" {
  description = "HTTP function => Cloud Run service the gateway's identity may invoke."
  type        = map(string)
}

variable "api_id" {
  description = "API and gateway id."
  type        = string
  default     = "kwetter"
}

variable "labels" {
  description = "Labels on the API, config and gateway."
  type        = map(string)
  default     = {}
}

variable "quota" {
  description = "API Gateway quota: requests per minute per consumer project (every request must then carry an API key, ?key=). null: no quota."
  type = object({
    requests_per_minute = number
  })
  default = null
}
