"""An installed app for the Django peer: reverse relations (author.books, tag.posts) exist only
for models of installed apps."""
