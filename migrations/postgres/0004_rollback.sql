-- Each item's rollback result, so a rollback can resume and report per item.
alter table job_item add column rollback_status text;
alter table job_item add column rollback_message text;
