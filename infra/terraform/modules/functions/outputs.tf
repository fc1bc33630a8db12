output "urls" {
  description = "Function => HTTPS URL of its Cloud Run service (backend and push endpoint base)."
  value       = { for name, f in google_cloudfunctions2_function.this : name => f.service_config[0].uri }
}

output "services" {
  description = "Function => Cloud Run service, on which run.invoker is granted."
  value       = { for name, f in google_cloudfunctions2_function.this : name => f.service_config[0].service }
}

output "service_accounts" {
  description = "Function => email of its own service account."
  value       = { for name, sa in google_service_account.function : name => sa.email }
}

output "source_objects" {
  description = "Function => uploaded source object (its name changes with the content)."
  value       = { for name, o in google_storage_bucket_object.source : name => o.name }
}
