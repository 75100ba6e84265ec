"""InvoiceLiveCount and, on PostgreSQL, the trigger that maintains it (see the model's docstring).
Other databases keep the table empty and count with COUNT(*)."""
import django.db.models.deletion
from django.db import migrations, models


TRIGGER_SQL = """
CREATE FUNCTION invoice_live_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND NOT OLD.is_deleted THEN
        INSERT INTO invoice_invoicelivecount (organization_id, live) VALUES (OLD.organization_id, -1)
        ON CONFLICT (organization_id) DO UPDATE SET live = invoice_invoicelivecount.live - 1;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NOT NEW.is_deleted THEN
        INSERT INTO invoice_invoicelivecount (organization_id, live) VALUES (NEW.organization_id, 1)
        ON CONFLICT (organization_id) DO UPDATE SET live = invoice_invoicelivecount.live + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER invoice_live_count_insert_delete AFTER INSERT OR DELETE ON invoice_invoice
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION invoice_live_count_change();
CREATE CONSTRAINT TRIGGER invoice_live_count_update AFTER UPDATE OF is_deleted, organization_id ON invoice_invoice
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.is_deleted IS DISTINCT FROM NEW.is_deleted OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)
    EXECUTE FUNCTION invoice_live_count_change();
LOCK TABLE invoice_invoice IN SHARE ROW EXCLUSIVE MODE;
DELETE FROM invoice_invoicelivecount;
INSERT INTO invoice_invoicelivecount (organization_id, live)
    SELECT organization_id, count(*) FROM invoice_invoice WHERE NOT is_deleted GROUP BY organization_id;
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS invoice_live_count_insert_delete ON invoice_invoice;
DROP TRIGGER IF EXISTS invoice_live_count_update ON invoice_invoice;
DROP FUNCTION IF EXISTS invoice_live_count_change();
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0006_organization_legal_settings'),
        ('invoice', '0007_invoice_live_code_idx'),
    ]

    operations = [
        migrations.CreateModel(
            name='InvoiceLiveCount',
            fields=[
                ('organization', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='core.organization')),
                ('live', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(on_postgresql(TRIGGER_SQL), on_postgresql(DROP_SQL)),
    ]
