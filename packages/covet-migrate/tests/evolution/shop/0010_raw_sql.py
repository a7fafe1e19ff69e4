from covet.migrate import ops

dependencies = [("shop", "0009_rename_model")]

operations = [
    ops.RunSQL(
        {
            "sqlite": [
                "CREATE TABLE audit (product_id INTEGER, at TEXT)",
                "CREATE TRIGGER product_audit AFTER UPDATE ON catalog_product "
                "BEGIN INSERT INTO audit VALUES (NEW.id, 'now'); END",
            ],
            "default": (
                "CREATE VIEW cheap_products AS "
                "SELECT id, name FROM catalog_product WHERE price < 10"
            ),
        },
        reverse_sql={
            "sqlite": ["DROP TRIGGER product_audit", "DROP TABLE audit"],
            "default": "DROP VIEW cheap_products",
        },
    ),
]
