output "topic_ids" {
  description = "Topic name => id (projects/<p>/topics/<name>), dead-letter topics included."
  value = merge(
    { for name, t in google_pubsub_topic.topic : name => t.id },
    { for name, t in google_pubsub_topic.dead_letter : name => t.id },
  )
}

output "push_subscriptions" {
  description = "Subscription => push endpoint."
  value       = { for name, s in google_pubsub_subscription.push : name => s.push_config[0].push_endpoint }
}

output "dead_letter_subscriptions" {
  description = "Dead-letter topic => the pull subscription that keeps its messages."
  value       = { for name, s in google_pubsub_subscription.dead_letter : name => s.name }
}
