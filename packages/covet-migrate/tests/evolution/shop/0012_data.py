from covet.migrate import ops


def shout(models, db):
    Product = models["shop.Product"]
    for product in Product.objects.all():
        product.name = product.name.upper()
        product.save(update_fields=["name"])


def whisper(models, db):
    Product = models["shop.Product"]
    for product in Product.objects.all():
        product.name = product.name.lower()
        product.save(update_fields=["name"])


dependencies = [("shop", "0011_alter_after_sql")]

operations = [ops.RunPython(shout, whisper)]
