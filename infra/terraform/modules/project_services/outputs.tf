output "project_number" {
  description = "Project number (service agent emails are built from it)."
  value       = data.google_project.this.number
}

output "services" {
  description = "Enabled APIs; depend on this to order resources after enablement."
  value       = [for s in google_project_service.this : s.service]
}
