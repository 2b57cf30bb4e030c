"""The interface's languages: Russian by default, English as a switch.

Russian text is the key; ``EN`` gives its English. A phrase with values in it
uses ``{name}`` fields, filled after translating.
"""

from __future__ import annotations

from starlette.requests import Request

LANGUAGES = ("ru", "en")
COOKIE = "lang"

EN: dict[str, str] = {
    "идентификация деталей по маркировке": "part identification by marking",
    "Выйти": "Sign out",
    "Съёмка": "Capture",
    "Приёмка": "Dock",
    "История": "History",
    "Каталог": "Catalog",
    "Фонарик": "Torch",
    "Снять маркировку": "Photograph the marking",
    "Камера": "Camera",
    "Из галереи": "From gallery",
    "Отправить": "Send",
    "Распознаём…": "Reading…",
    "Нет сети: в очереди {n}. Отправим сами, когда появится связь.": (
        "No network: {n} queued. They will be sent when the network is back."
    ),
    "Сервер занят: в очереди {n}, повторим через {s} с.": "The server is busy: {n} queued, retrying in {s} s.",
    "Войдите снова, чтобы отправить фото из очереди: {n}.": "Sign in again to send the queued photos: {n}.",
    "В очереди: {n}.": "Queued: {n}.",
    "В каталоге {rows} строк, {articles} артикулов.": "The catalog has {rows} rows, {articles} articles.",
    "Артикул (можно латиницей)": "Article (Latin letters are fine)",
    "Найти": "Search",
    "На сервере кончилось место; ничего не записано. Сообщите администратору и повторите позже.": (
        "The server is out of space; nothing was written. Tell the administrator and try again later."
    ),
    "Таблица больше {rows} строк или читается дольше {s} с; каталог не изменён.": (
        "The table has more than {rows} rows or takes longer than {s} s to read; the catalog was not changed."
    ),
    "Это не таблица заказов: файл повреждён; каталог не изменён.": (
        "Not an orders table: the file is damaged; the catalog was not changed."
    ),
    "Таблица слишком велика для таблицы заказов; каталог не изменён.": (
        "The file is too large for an orders table; the catalog was not changed."
    ),
    "Скан только что изменил {who}; посмотрите, что записано, и повторите, если нужно.": (
        "{who} has just changed this scan; look at what is recorded and try again if need be."
    ),
    "Тело запроса больше {kb} КБ.": "The request body is larger than {kb} KB.",
    "Поле «{field}» должно быть строкой.": "The field “{field}” must be a string.",
    "Поле «{field}» должно быть true или false.": "The field “{field}” must be true or false.",
    "В артикуле недопустимый символ {char}.": "The article holds a character not allowed: {char}.",
    "В номере недопустимый символ {char}.": "The serial holds a character not allowed: {char}.",
    "Этот ключ идемпотентности уже занят; отправьте фото с новым ключом.": (
        "This idempotency key is taken; send the photo with a new key."
    ),
    "Взять артикул {article}": "Take the article {article}",
    "с": "from",
    "по": "to",
    "Дата — в виде ГГГГ-ММ-ДД.": "A date is written YYYY-MM-DD.",
    "Загрузить таблицу заказов": "Upload an orders table",
    "заменить каталог": "replace the catalog",
    "Таблица заказов (.xlsx)": "Orders table (.xlsx)",
    "добавить новые строки": "add new rows",
    "Загрузить": "Upload",
    "Готово ({mode}): принято {kept} строк, отклонено {rejected}, пустых {empty}. В каталоге теперь {rows} строк.": (
        "Done ({mode}): {kept} rows kept, {rejected} rejected, {empty} empty. The catalog now has {rows} rows."
    ),
    "замена": "replace",
    "добавление": "merge",
    "Строка": "Row",
    "Причина": "Reason",
    "{n} строк": "{n} rows",
    "Артикул": "Article",
    "Заказ": "Order",
    "Станция, блок": "Station, unit",
    "Ничего похожего на «{q}».": "Nothing like “{q}”.",
    "Новая приёмка": "New dock session",
    "Приёмка: {parts}": "Dock session: {parts}",
    "Повторно отсканированы:": "Scanned more than once:",
    "Выгрузить приёмку:": "Export the session:",
    "Выгрузить:": "Export:",
    "Заказ {order} — {n}": "Order {order} — {n}",
    "без заказа": "no order",
    "Поиск по маркировке": "Search by marking",
    "Все заказы": "All orders",
    "Все станции": "All stations",
    "заказ": "order",
    "Сканов пока нет.": "No scans yet.",
    "Вход": "Sign in",
    "Имя": "Name",
    "Пароль": "Password",
    "Войти": "Sign in",
    "Фото с выделенной маркировкой": "Photo with the marking outlined",
    "Наименование": "Part name",
    "Подтвердить {marking}": "Confirm {marking}",
    "Исправить": "Correct",
    "Номер": "Serial",
    "Сохранить исправление": "Save the correction",
    "Верно, как прочитано: {marking}": "Right as read: {marking}",
    "Может быть": "It may be",
    "Уже подтверждена: скан № {scan}, {who}, {when}.": "Confirmed before: scan № {scan}, {who}, {when}.",
    "Да, это другая деталь: подтвердить": "Yes, another part: confirm",
    "«{marking}» уже подтверждена (скан № {scan}, {who}). Если это другая деталь, подтвердите ещё раз.": (
        "“{marking}” was confirmed before (scan № {scan}, {who}). If this is another part, confirm again."
    ),
    "маркировка не прочитана: введите её или снимите ещё раз": "marking not read: type it in or take another photo",
    "артикула {article} нет в таблице заказов": "article {article} is not in the orders table",
    "артикул: {read} или {other}?": "article: {read} or {other}?",
    "номер не прочитан": "serial not read",
    "номер: {read} или {other}?": "serial: {read} or {other}?",
    "номера {serial} нет в таблице заказов для этого артикула": (
        "serial {serial} is not in the orders table for this article"
    ),
    "прочитано только в одном виде: сверьте с деталью": "read in one view only: check against the part",
    "сверьте артикул и номер с деталью": "check the article and serial against the part",
    "Укажите артикул.": "Enter the article.",
    "Отменить подтверждение": "Undo the confirmation",
    "Подтверждение уже передано в 1С — исправьте запись в 1С.": "The confirmation is already in 1C: correct it there.",
    "Похоже на": "Looks like",
    "Артикул подсказали похожие подтверждённые детали.": "Similar confirmed parts suggested the article.",
    "уверенно": "sure",
    "Ещё фото": "Another photo",
    "Фото этой детали: {count}": "Photos of this part: {count}",
    "проверьте": "please check",
    "верно с вероятностью {percent} %": "right with probability {percent} %",
    "не найдено": "not found",
    "ожидает подтверждения": "awaiting confirmation",
    "подтверждено": "confirmed",
    "исправлено": "corrected",
    "Неверное имя или пароль.": "Wrong name or password.",
    "в очереди (нет сети)": "queued (no network)",
    "не принято": "refused",
    "Убрать": "Remove",
    "в очереди": "queued",
    "передано": "sent",
    "ошибка": "failed",
    "Повторить": "Retry",
    "Синхронизировать с 1С": "Sync with 1C",
    "Из 1С: {total} строк, добавлено {added}, изменено {changed}, удалено {removed}, отклонено {rejected}.": (
        "From 1C: {total} rows, {added} added, {changed} changed, {removed} removed, {rejected} rejected."
    ),
    "Русский": "Русский",
    "Такого скана нет.": "No such scan.",
    "нет в каталоге": "not in the catalog",
    "Резко — снимаю": "Sharp: taking it",
    "Блик — наклоните телефон": "Glare: tilt the phone",
    "Держите ровнее": "Hold steadier",
    "Нерезко — наведите на маркировку": "Not sharp: aim at the marking",
    "Ближе": "Closer",
    "Дальше": "Farther",
    "Снимать само, когда резко": "Take the photo by itself when sharp",
    "Нет доступа к камере: разрешите его в настройках браузера или снимайте кнопкой «Камера».": (
        "No access to the camera: allow it in the browser's settings, or use the Camera button."
    ),
    "Камера не найдена — снимайте кнопкой «Камера» или выберите фото из галереи.": (
        "No camera found: use the Camera button or pick a photo from the gallery."
    ),
    "Подтвердить: нет в каталоге": "Confirm: not in the catalog",
    "«{marking}» нет в таблице заказов. Если деталь такая, подтвердите «нет в каталоге».": (
        "“{marking}” is not in the orders table. If the part is so, confirm it as not in the catalog."
    ),
    "Номер по таблице заказов": "Serial from the orders table",
    "Следующая деталь": "Next part",
    "Все строки артикула: {n}": "All rows of the article: {n}",
    "Такой записи в памяти нет.": "No such memory entry.",
    "Такого изображения нет.": "No such image.",
    "Выгрузка — .csv или .xlsx.": "Export as .csv or .xlsx.",
    "Нет места для хранения фото на сервере; сообщите администратору.": (
        "The server has no room left to store photos; tell the administrator."
    ),
    "Сервер не смог сохранить фото; попробуйте ещё раз.": "The server could not store the photo; try again.",
    "Хранилище фото недоступно; повторите позже.": "The photo store is unavailable; retry later.",
    "Фото не прочитать: файл пустой.": "The photo cannot be read: the file is empty.",
    "Фото не прочитать: снимок слишком большой ({width}×{height} точек).": (
        "The photo cannot be read: it is too large ({width}×{height} pixels)."
    ),
    "Фото не прочитать: снимок слишком большой.": "The photo cannot be read: it is too large.",
    "Фото не прочитать: это не изображение.": "The photo cannot be read: the file is not an image.",
    "Фото не прочитать: файл повреждён или обрезан.": "The photo cannot be read: the file is damaged or cut off.",
    "Сервер занят, повторите через несколько секунд.": "The server is busy; retry in a few seconds.",
    "Скан уже подтверждён: отмените подтверждение, чтобы добавить фото.": (
        "The scan is confirmed: undo the confirmation to add a photo."
    ),
    "У детали не больше {n} фото.": "A part has at most {n} photos.",
    "Изменить или отменить подтверждение может только тот, кто подтвердил, или администратор.": (
        "Only the person who confirmed, or an admin, may change or undo the confirmation."
    ),
    "Подтверждение как раз передаётся в 1С; повторите через минуту.": (
        "The confirmation is being sent to 1C right now; retry in a minute."
    ),
    "Артикул длиннее {a} или номер длиннее {s} знаков.": (
        "The article is longer than {a} or the serial than {s} characters."
    ),
    "Скан не подтверждён.": "The scan is not confirmed.",
    "Это может только администратор.": "Only an admin may do this.",
    "Режим загрузки: replace или merge.": "The mode is replace or merge.",
    "Это не таблица заказов: файл не в формате .xlsx; каталог не изменён.": (
        "Not an orders table: the file is not an .xlsx workbook; the catalog was not changed."
    ),
    "Это не таблица заказов: нет столбцов {columns}; каталог не изменён.": (
        "Not an orders table: the columns {columns} are missing; the catalog was not changed."
    ),
    "Это не таблица заказов: нет строки заголовков со столбцами {columns}; каталог не изменён.": (
        "Not an orders table: no header row with the columns {columns}; the catalog was not changed."
    ),
    "В таблице нет ни одной годной строки; каталог не изменён.": (
        "The table has no valid rows; the catalog was not changed."
    ),
    "Файл больше {mb} МБ.": "The file is larger than {mb} MB.",
    "Отправьте фото как multipart/form-data.": "Send the photo as multipart/form-data.",
    "В форме нет файла «{field}».": "The form has no file field “{field}”.",
    "Файл пустой.": "The file is empty.",
    "Нужен ключ идемпотентности: 8–128 латинских букв, цифр или -_.:": (
        "An idempotency key of 8 to 128 letters, digits or -_.: is required."
    ),
    "Тело запроса — не JSON.": "The body is not valid JSON.",
    "Тело запроса должно быть JSON-объектом.": "The body must be a JSON object.",
    "limit и offset — целые числа.": "limit and offset must be integers.",
    "offset — от 0 до {max}.": "offset must be 0 to {max}.",
    "Запрос длиннее 64 знаков.": "The query is longer than 64 characters.",
    "1С не настроена.": "1C is not configured.",
    "Слишком много неудачных попыток входа; подождите {s} с.": "Too many failed sign-ins; wait {s} s.",
    "Форма устарела (проверка CSRF не пройдена); обновите страницу и повторите.": (
        "The form is out of date (CSRF check failed); reload the page and try again."
    ),
    "Войдите или пришлите API-токен.": "Sign in or send an API token.",
    "Внутренняя ошибка сервера. Сообщите администратору номер {id}.": (
        "Something went wrong on the server. Tell the administrator the number {id}."
    ),
    "Такой страницы нет.": "There is no such page.",
    "Этот метод здесь не принимается.": "This method is not accepted here.",
    "Ошибка запроса.": "The request failed.",
    "English": "English",
}


def language(request: Request) -> str:
    lang = request.cookies.get(COOKIE, "ru")
    return lang if lang in LANGUAGES else "ru"


def translator(lang: str):
    """``_(text, **values)`` for templates: the phrase in ``lang``, values filled in."""

    def _(text: str, **values) -> str:
        phrase = EN.get(text, text) if lang == "en" else text
        return phrase.format(**values) if values else phrase

    return _


def russian_form(n: int, forms: tuple[str, str, str]) -> str:
    """The Russian word for ``n`` things: forms for 1, 2–4 and 5+ (деталь, детали, деталей)."""
    if n % 10 == 1 and n % 100 != 11:
        return forms[0]
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return forms[1]
    return forms[2]


def counted(lang: str):
    """``count(n, ("деталь", "детали", "деталей"), ("part", "parts"))`` for templates: "3 детали", "3 parts"."""

    def count(n: int, russian: tuple[str, str, str], english: tuple[str, str]) -> str:
        word = english[0 if n == 1 else 1] if lang == "en" else russian_form(n, russian)
        return f"{n} {word}"

    return count


def translate(request: Request, text: str, **values) -> str:
    """``text`` in the language of the person making ``request``, values filled in."""
    return translator(language(request))(text, **values)
