from handlers import BaseHandler


class Handler(BaseHandler):
    suffix = ".csv"
